// The child process a notebook's code cell runs in on a Node worker (workers/node/code-cell.ts
// starts it with Node's permission model, reading only this file, and an empty environment).
// stdin: v8-serialised { code, inputs }; stdout: one JSON line per log, then the output
// (v8-serialised, base64) or the error.
import v8 from "node:v8";

const send = (m) => process.stdout.write(`${JSON.stringify(m)}\n`);
const fmt = (args) => args.map((a) => { try { return typeof a === "string" ? a : JSON.stringify(a); } catch { return String(a); } }).join(" ");
for (const [name, level] of [["log", "info"], ["info", "info"], ["debug", "debug"], ["warn", "warn"], ["error", "error"]]) {
  console[name] = (...args) => send({ type: "log", level, message: fmt(args) });
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const { code, functionName, inputs } = v8.deserialize(Buffer.concat(chunks));
try {
  // Indirect eval: the cell's function in this module-less global scope, not in this file's.
  const cell = (0, eval)(`${code}\n;${functionName}`);
  const value = await cell(inputs);
  let bytes;
  try {
    bytes = v8.serialize(value === undefined ? null : value);
  } catch (err) {
    throw new Error(`the cell's output cannot be stored (return plain data: objects, arrays, strings, numbers): ${err.message}`);
  }
  send({ type: "done", v8: bytes.toString("base64") });
} catch (err) {
  send({ type: "error", message: err && err.stack ? String(err.stack) : String(err) });
}
