export * from './roles';
export * from './tokens';
export * from './admin-auth.guard';
export * from './current-principal.decorator';
export * from './site-scope';
