import { InputError } from './csv-table.js';
import { DETECT_USAGE, detectCommand } from './detect.command.js';
import { evaluateSkabCommand } from './evaluate-skab.command.js';

const USAGE = `caretaker <command> [options]

commands:
  detect          run the default detection over a CSV as if live
                  ${DETECT_USAGE.replace('usage: caretaker ', '')}
  evaluate-skab   score detect on the SKAB development recordings [--dir DIR] [--per-file]
  bench-detect    measure the detection cost per reading
`;

const commands: Record<string, (argv: string[], out: (s: string) => void) => number | Promise<number>> = {
  detect: detectCommand,
  'evaluate-skab': evaluateSkabCommand,
  'bench-detect': async (argv, out) =>
    (await import('./bench-detect.command.js')).benchDetectCommand(argv, out),
};

/** Runs one CLI command; returns its exit code (2 = bad input or usage). */
export async function runCli(argv: string[], out = (s: string) => process.stdout.write(s)): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    out(USAGE);
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`caretaker: unknown command "${name}"\n${USAGE}`);
    return 2;
  }
  try {
    return await command(rest, out);
  } catch (err) {
    // parseArgs reports unknown or malformed options with these codes.
    const code = (err as { code?: string }).code;
    if (err instanceof InputError || code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`caretaker ${name}: ${(err as Error).message}\n`);
      return 2;
    }
    throw err;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await runCli(process.argv.slice(2));
}
