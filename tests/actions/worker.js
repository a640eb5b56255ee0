'use strict';
// Stands in for the runner's Runner.Worker: starts one step (node SCRIPT) as its child with
// the environment as given, writes the step's exit code to RC_FILE, and lives on, as the
// worker does until the job ends, until it is killed.
const { spawn } = require('child_process');
const fs = require('fs');

const [script, rc_file] = process.argv.slice(2);
const step = spawn(process.execPath, [script], { stdio: 'inherit' });
step.on('close', (code) => fs.writeFileSync(rc_file, `${code}\n`));
setInterval(() => {}, 1 << 30);
