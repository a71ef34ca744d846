export { type JsonParse, parsePythonJson } from "./parse.js";
export { scanJson, scanJsonValue } from "./scan.js";
