import { h, replace } from '../dom.js';

/** Sign-in with a platform token (JWT) or API key; `message` says why (expired, refused). */
export function renderSignIn(
  target: Element,
  message: string | undefined,
  onSubmit: (credential: string) => void,
): void {
  const input = h('textarea', {
    id: 'credential',
    rows: '4',
    required: true,
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'eyJhbGciOi…',
  });
  const form = h(
    'form',
    { id: 'sign-in' },
    h('h2', {}, 'Sign in'),
    message ? h('p', { class: 'notice', role: 'status' }, message) : '',
    h('label', { for: 'credential' }, 'Bearer token or API key'),
    input,
    h(
      'p',
      { class: 'muted small' },
      'Locally: npm run --silent token -- --role operator (viewer: look; operator: also retry and replay).',
    ),
    h('button', { type: 'submit' }, 'Sign in'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const value = input.value.trim();
    if (value) onSubmit(value);
  });
  replace(target, form);
  input.focus();
}
