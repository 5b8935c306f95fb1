/**
 * Validators compiled ahead of time, for pages that may not compile code at
 * run time: Ajv builds each validator with `new Function`, which a
 * Content-Security-Policy without 'unsafe-eval' (the web app's) refuses.
 * A bundler turns the module written here into the browser's validators and
 * the page hands them to `installPrecompiledValidators`. Not exported from the
 * package index, so the browser never loads Ajv's code generator.
 */
import standaloneCode from 'ajv/dist/standalone';
import { schemaId, type SchemaName } from './schemas';
import { createAjv } from './validation';

/**
 * ES module source whose default export maps each named schema's `$id` to its
 * validator, compiled by the same Ajv set-up as `validate` (messages and
 * error paths are the same). Ajv's standalone code reaches its runtime
 * helpers and ajv-formats through `require`; they become imports here.
 */
export function precompiledValidatorsModule(names: readonly SchemaName[]): string {
  const ajv = createAjv({ code: { source: true, esm: true } });
  const exportNames = names.map((_, i) => `validator${i}`);
  const code = standaloneCode(ajv, Object.fromEntries(names.map((name, i) => [exportNames[i], schemaId(name)])));
  const modules: string[] = [];
  const body = code.replace(/require\("([^"]+)"\)/g, (_, specifier: string) => {
    let i = modules.indexOf(specifier);
    if (i < 0) i = modules.push(specifier) - 1;
    return `__dependency${i}`;
  });
  const imports = modules.map((specifier, i) => `import * as __dependency${i} from ${JSON.stringify(specifier)};`).join('\n');
  const table = names.map((name, i) => `  ${JSON.stringify(schemaId(name))}: ${exportNames[i]},`).join('\n');
  return `${imports}\n${body}\nexport default {\n${table}\n};\n`;
}
