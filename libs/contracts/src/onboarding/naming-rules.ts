/**
 * Vendor naming rules checked at intake, so that a bad name is a 400 / rejection event instead of
 * a failure deep in the pipeline. The tenant name becomes a KSC administration group and the
 * virtual Administration Server's display name (integration-server-api.md §3.4); the admin account
 * is a KSC internal user (ksc-openapi.md §3.8). The vendor documents no exact character sets, so
 * these are deliberately conservative: plain letters, digits and a few separators — nothing XML,
 * a file system or a console could misread (no `<`, `&`, `]]>`, slashes, quotes or control
 * characters).
 */
export const TENANT_NAME_PATTERN = /^[\p{L}\p{N}](?:[\p{L}\p{N} ._-]{0,62}[\p{L}\p{N}])?$/u;
export const TENANT_NAME_MAX = 64;

/** KSC internal user names: ASCII letters, digits, `.`, `_`, `-`; 3 to 64 characters. */
export const ACCOUNT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{1,62}[A-Za-z0-9]$/;

/** VM display names (host names): letters, digits and hyphens, as DNS labels allow, up to 63. */
export const VM_NAME_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** Connection tags of Light Agent policies. */
export const CONNECTION_TAG_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Order ids from upstream systems: the idempotency key. */
export const ORDER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;

/** Site ids (configuration keys). */
export const SITE_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Most VMs one onboarding order may carry (API4; one KSC device-list task holds up to 1000). */
export const MAX_VMS_PER_TENANT = 500;

// eslint-disable-next-line no-control-regex
export const NO_CONTROL_CHARS = /^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$/;
