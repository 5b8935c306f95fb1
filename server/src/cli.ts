/** Entry point of `exemplar` (server/bin/exemplar.js loads the compiled file). */
import { runCli } from './cli/program';

void runCli(process.argv).then((code) => {
  process.exitCode = code;
});
