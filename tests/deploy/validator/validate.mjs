// Validates every object of rendered manifests (multi-document YAML files given as
// arguments) against the Kubernetes and KEDA schemas, offline, with the models of
// kubernetes-models and @kubernetes-models/keda (JSON Schema via ajv). An object whose
// apiVersion/kind has no model is an error too, so nothing goes unchecked.
// Usage: node validate.mjs FILE...   (from a folder whose node_modules has the packages of
// package.json; deploy_test.sh copies it there)
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

// The packages' export maps name each model as <package>/<apiVersion>/<Kind>; KEDA's
// groups live in their own package.
function modulePath(apiVersion, kind) {
  if (apiVersion.endsWith("keda.sh/v1alpha1")) return `@kubernetes-models/keda/${apiVersion}/${kind}`;
  return `kubernetes-models/${apiVersion}/${kind}`;
}

let failures = 0;
let checked = 0;
for (const file of process.argv.slice(2)) {
  for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
    if (doc.errors.length > 0) {
      console.error(`${file}: YAML error: ${doc.errors[0].message}`);
      failures++;
      continue;
    }
    const obj = doc.toJS();
    if (obj == null) continue;
    const where = `${file}: ${obj.kind} ${obj.metadata?.namespace ?? ""}/${obj.metadata?.name}`;
    let Model;
    try {
      const path = modulePath(obj.apiVersion, obj.kind);
      const mod = await import(path);
      Model = mod[obj.kind] ?? mod.default;
    } catch (e) {
      console.error(`${where}: no schema for ${obj.apiVersion} ${obj.kind}`);
      failures++;
      continue;
    }
    try {
      new Model(obj).validate();
      checked++;
    } catch (e) {
      console.error(`${where}: ${e.message}`);
      failures++;
    }
  }
}
console.log(`validated ${checked} objects, ${failures} problems`);
process.exit(failures === 0 && checked > 0 ? 0 : 1);
