// run_composite in a process of its own: reads {dir, job, inputs} as JSON on stdin and
// prints the result as JSON (for tests whose servers live in the calling process).
import { run_composite } from './composite.mjs';

let text = '';
for await (const chunk of process.stdin) text += chunk;
const { dir, job, inputs } = JSON.parse(text);
process.stdout.write(JSON.stringify(run_composite(dir, job, inputs)));
