// Validates GitHub Actions workflow files with GitHub's own parser (@actions/workflow-parser):
// node validate_workflow.mjs NODE_MODULES FILE... prints "FILE: error" lines and exits 1 on
// any error. NODE_MODULES is where npm installed the parser (.deps/npm/node_modules).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [modules, ...files] = process.argv.slice(2);
const parser = join(modules, "@actions/workflow-parser/dist/index.js");
const { convertWorkflowTemplate, parseWorkflow, NoOperationTraceWriter } = await import(pathToFileURL(parser).href);

let failed = false;
for (const file of files) {
  const result = parseWorkflow({ name: file, content: readFileSync(file, "utf8") }, new NoOperationTraceWriter());
  const errors = [...result.context.errors.getErrors()];
  if (errors.length === 0 && result.value !== undefined) {
    const template = await convertWorkflowTemplate(result.context, result.value);
    errors.push(...(template.errors ?? []));
  }
  if (result.value === undefined && errors.length === 0) errors.push({ message: "not a workflow" });
  for (const error of errors) {
    console.log(`${file}: ${error.message ?? error.Message ?? JSON.stringify(error)}`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
