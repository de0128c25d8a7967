import { VERSION } from '../version.js';
import { parseCommand } from './commands.js';

// The bin's entry. Help, the version and usage errors come from the argument parser alone; the
// service's modules (the whole HTTP API, SMTP, delivery) are loaded only for a command that runs.

/** Runs the CLI. Returns the exit code: 0 done, 1 failed, 2 a usage or configuration error. */
export async function run(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const parsed = parseCommand(argv);
  if (parsed.kind === 'help') {
    console.log(parsed.text);
    return 0;
  }
  if (parsed.kind === 'version') {
    console.log(VERSION);
    return 0;
  }
  if (parsed.kind === 'refused') {
    console.error(parsed.message);
    return 2;
  }
  const { runCommandLine } = await import('../main.js');
  return runCommandLine(parsed, env);
}
