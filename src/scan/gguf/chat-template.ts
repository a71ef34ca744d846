/**
 * Hook to the chat-template scanner (threat G1). GGUF files carry Jinja templates in
 * `tokenizer.chat_template` and in named variants `tokenizer.chat_template.<name>`; llama.cpp and
 * transformers render them, so a template that reaches Python internals runs code.
 *
 * The template scanner (`scanChatTemplate` in src/scan/templates/index.ts) is not available yet.
 * Until it is wired in here, every template is reported unchecked: fail closed, never clean.
 */
import { type Finding, finding } from "../../core/finding.js";

export function checkChatTemplate(_text: string, where: string): Finding[] {
  return [
    finding(
      "UNSCANNABLE",
      "unscannable",
      `The chat template in ${where} could not be checked: the template scanner is not available yet.`,
    ),
  ];
}
