import { unsupported } from "../unsupported.js";

/** PLACEHOLDER until the pickle engine lands: fail closed. */
export const scanPickleFile = unsupported("the pickle engine is not built yet");
