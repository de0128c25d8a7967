import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { parse } from 'yaml';

// Checks a compose file the way `docker compose config` would, without Docker: YAML parsed,
// variables interpolated as the Compose specification says, the result validated against the
// specification's JSON schema (the copy the dclint package ships and keeps current).

const schemaFile = path.join(path.dirname(createRequire(import.meta.url).resolve('dclint/package.json')), 'schemas', 'compose.schema.json');

let validator: ReturnType<Ajv['compile']> | undefined;
function validate(doc: unknown): ErrorObject[] {
  if (!validator) {
    const schema = JSON.parse(fs.readFileSync(schemaFile, 'utf8'));
    delete schema.$schema; // draft-07 URL ajv would try to resolve; the keywords are the same
    validator = new Ajv({ strict: false, allErrors: true }).compile(schema);
  }
  return validator(doc) ? [] : (validator.errors ?? []);
}

/**
 * The Compose specification's interpolation: `$$` is a dollar sign; `${VAR}` and `$VAR`;
 * `${VAR:-default}` when unset or empty, `${VAR-default}` when unset; `${VAR:?message}` and
 * `${VAR?message}` stop with the message.
 */
export function interpolate(text: string, env: Record<string, string | undefined>): string {
  return text.replace(/\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_whole, dollar, name, colon, op, arg, bare) => {
    if (dollar === '$') return '$';
    if (bare) return env[bare] ?? '';
    const value = env[name];
    const missing = colon ? !value : value === undefined;
    if (!op || !missing) return value ?? '';
    if (op === '-') return arg;
    throw new Error(`required variable ${name} is missing a value: ${arg}`);
  });
}

export interface ComposeCheck {
  config: Record<string, any>;
  errors: string[];
}

/** The interpolated, parsed file and the schema's complaints, each as `path: message`. */
export function checkCompose(file: string, env: Record<string, string | undefined>, edit?: (doc: any) => void): ComposeCheck {
  const config = parse(interpolate(fs.readFileSync(file, 'utf8'), env));
  edit?.(config);
  return { config, errors: validate(config).map((e) => `${e.instancePath || '/'}: ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${e.params.additionalProperty})` : ''}`) };
}
