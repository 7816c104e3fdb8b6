export * from './envelope-cipher';
export * from './password-generator';
