declare module 'virtual:schema-validators' {
  import type { ValidateFunction } from 'ajv';
  /** Validators by schema `$id`, compiled at build time (vite.config.mts). */
  const validators: Readonly<Record<string, ValidateFunction>>;
  export default validators;
}
