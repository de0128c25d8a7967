import { parseArgs } from 'node:util';

// The command line's grammar, kept apart from what the commands do: pure, so every refusal and
// every help text can be tested without a database.

type Option = { type: 'string' | 'boolean'; multiple?: boolean; short?: string; help: string; value?: string };

interface CommandSpec {
  summary: string;
  options: Record<string, Option>;
  /** Options the command cannot run without. */
  required?: string[];
}

const ORG: Option = { type: 'string', value: 'NAME|ID', help: 'the organization (by name or id); may be left out when there is only one' };
const JSON_OUT: Option = { type: 'boolean', help: 'print one JSON object instead of text' };

export const COMMANDS = {
  serve: { summary: 'HTTP API, inbound SMTP and background workers (what npm start runs)', options: {} },
  migrate: { summary: 'apply pending database migrations and exit', options: {} },
  init: {
    summary: 'create an organization with an admin client, a queue and domains',
    options: {
      org: { type: 'string', value: 'NAME', help: 'the organization\'s name (default "Default")' },
      'allow-existing-name': { type: 'boolean', help: 'create it even when an organization of that name exists' },
      json: JSON_OUT,
    },
  },
  'clients create': {
    summary: 'create an OAuth client (client credentials); its secret is printed once',
    options: {
      name: { type: 'string', value: 'NAME', help: 'what the client is for' },
      permission: { type: 'string', multiple: true, value: 'PERMISSION', help: 'a permission string, e.g. conversation:agentlessEmail:send (repeat for more)' },
      org: ORG,
      json: JSON_OUT,
    },
    required: ['name', 'permission'],
  },
  'users create': {
    summary: 'create a user (an agent) who signs in with email and password',
    options: {
      name: { type: 'string', value: 'NAME', help: "the user's display name" },
      email: { type: 'string', value: 'EMAIL', help: 'the sign-in email address' },
      'password-stdin': { type: 'boolean', help: 'read the password from the first line of standard input (default: a generated one, printed once)' },
      permission: { type: 'string', multiple: true, value: 'PERMISSION', help: "a permission string (repeat for more; default: an agent's)" },
      org: ORG,
      json: JSON_OUT,
    },
    required: ['name', 'email'],
  },
  send: {
    summary: "send an outbound configuration's template to a CSV of contacts, in batches of 100 (run again to resume)",
    options: {
      configuration: { type: 'string', value: 'ID', help: 'the outbound configuration to invoke' },
      contacts: {
        type: 'string',
        value: 'FILE.csv',
        help: 'one contact a row; the header row names the Dynamics fields (tocontactid, optin, locale …), other columns are placeholder values',
      },
      results: { type: 'string', value: 'FILE', help: "where each contact's outcome is written as CSV (default: FILE.csv with .results.csv)" },
      org: ORG,
    },
    required: ['configuration', 'contacts'],
  },
} satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof COMMANDS;
export type Values = Record<string, string | boolean | string[] | undefined>;

export type Parsed =
  | { kind: 'run'; command: CommandName; values: Values }
  | { kind: 'help'; text: string }
  | { kind: 'version' }
  /** A usage error: exit code 2 and this one line. */
  | { kind: 'refused'; message: string };

const names = Object.keys(COMMANDS) as CommandName[];

export function usage(): string {
  const width = Math.max(...names.map((n) => n.length)) + 2;
  return [
    'usage: threadline <command> [options]',
    '',
    ...names.map((n) => `  ${n.padEnd(width)}${COMMANDS[n].summary}`),
    '',
    '  threadline <command> --help   the options of one command',
    '  threadline --version          the version',
    '',
    'Configuration comes from THREADLINE_* environment variables; see README.md.',
  ].join('\n');
}

export function commandHelp(name: CommandName): string {
  const spec: CommandSpec = COMMANDS[name];
  const flags = Object.entries(spec.options).map(([k, o]) => [`--${k}${o.value ? ` ${o.value}` : ''}`, o.help + (spec.required?.includes(k) ? ' (required)' : '')] as const);
  const width = Math.max(12, ...flags.map(([f]) => f.length)) + 2;
  return [
    `usage: threadline ${name}${flags.length ? ' [options]' : ''}`,
    '',
    spec.summary,
    ...(flags.length ? ['', ...flags.map(([f, h]) => `  ${f.padEnd(width)}${h}`)] : []),
    `  ${'--help'.padEnd(width)}this text`,
  ].join('\n');
}

/** node:util's first sentence names the option and the problem; the rest is advice for scripts. */
const firstSentence = (message: string) => message.split(/\.\s/)[0]!.replace(/\.$/, '');

/** Reads argv the strict way: an unknown command or option is refused, never ignored. */
export function parseCommand(argv: string[]): Parsed {
  const [first, second] = argv;
  if (first === undefined) return { kind: 'refused', message: 'threadline: a command is needed (threadline --help lists them)' };
  if (first === '--help' || first === '-h' || first === 'help') {
    if (second === undefined) return { kind: 'help', text: usage() };
    const named = names.find((n) => n === argv.slice(1).join(' '));
    return named ? { kind: 'help', text: commandHelp(named) } : { kind: 'refused', message: `threadline: unknown command "${argv.slice(1).join(' ')}" (threadline --help lists them)` };
  }
  if (first === '--version' || first === '-v') return argv.length === 1 ? { kind: 'version' } : { kind: 'refused', message: 'threadline: --version takes no arguments' };
  const two = second !== undefined ? `${first} ${second}` : '';
  const command = names.find((n) => n === two) ?? names.find((n) => n === first);
  if (!command) {
    const group = names.filter((n) => n.startsWith(`${first} `));
    return {
      kind: 'refused',
      message: group.length
        ? `threadline: unknown command "${two || first}"; try ${group.map((g) => `"${g}"`).join(' or ')}`
        : `threadline: unknown command "${first}" (threadline --help lists them)`,
    };
  }
  const rest = argv.slice(command.split(' ').length);
  if (rest.includes('--help') || rest.includes('-h')) return { kind: 'help', text: commandHelp(command) };
  const spec: CommandSpec = COMMANDS[command];
  let values: Values;
  try {
    const options = Object.fromEntries(Object.entries(spec.options).map(([k, o]) => [k, { type: o.type, ...(o.multiple ? { multiple: true } : {}) }]));
    values = parseArgs({ args: rest, options, strict: true, allowPositionals: false }).values as Values;
  } catch (err) {
    return { kind: 'refused', message: `threadline ${command}: ${firstSentence((err as Error).message)} (see threadline ${command} --help)` };
  }
  const missing = (spec.required ?? []).find((k) => values[k] === undefined);
  if (missing) return { kind: 'refused', message: `threadline ${command}: --${missing} is required (see threadline ${command} --help)` };
  for (const [k, v] of Object.entries(values)) {
    if (typeof v === 'string' && v.trim() === '') return { kind: 'refused', message: `threadline ${command}: --${k} needs a value` };
  }
  return { kind: 'run', command, values };
}
