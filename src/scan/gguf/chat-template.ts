/**
 * Hook to the chat-template scanner (threat G1). GGUF files carry Jinja templates in
 * `tokenizer.chat_template` and in named variants `tokenizer.chat_template.<name>`; llama.cpp and
 * transformers render them, so a template that reaches Python internals runs code.
 */
import type { Finding } from "../../core/finding.js";
import { scanChatTemplate } from "../templates/index.js";

/** Findings for one template; `where` names it, e.g. `model.gguf:tokenizer.chat_template`. */
export function checkChatTemplate(text: string, where: string): Finding[] {
  return scanChatTemplate(text, where);
}
