export {
  decodeText,
  overMemoryBudget,
  scanText,
  scanTextContent,
  type TextScanResult,
} from "./scan.js";
