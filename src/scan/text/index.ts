export {
  decodeText,
  scanText,
  scanTextContent,
  type TextScanResult,
} from "./scan.js";
