/** The chat-template area's public surface, for the GGUF, JSON and text scanners. */
export {
  analyzeTemplate,
  DEFAULT_TEMPLATE_LIMITS,
  parseTemplate,
  scanChatTemplate,
  type TemplateLimits,
  type TemplateParse,
} from "./scan.js";
export { type TemplateSource, templatesInJson } from "./sources.js";
