// Validate AsyncAPI documents with the official parser; print {path: [diagnostics]} as JSON.
import { readFileSync } from "node:fs";
import { Parser } from "@asyncapi/parser";

const parser = new Parser();
const results = {};
for (const path of process.argv.slice(2)) {
  const diagnostics = await parser.validate(readFileSync(path, "utf8"));
  results[path] = diagnostics.map((d) => ({
    code: d.code,
    severity: d.severity,
    message: d.message,
    path: d.path.join("/"),
  }));
}
process.stdout.write(JSON.stringify(results));
