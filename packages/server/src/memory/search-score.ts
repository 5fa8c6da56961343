import { fields } from "./whitespace.js";

/**
 * How well a memory matches a query, for a query already
 * lowercased and trimmed: 1 for an empty query or when the lowercased text
 * contains the whole query, else the fraction of the query's words it contains.
 */
export function searchScore(query: string, text: string): number {
  if (query === "") return 1;
  const haystack = text.toLowerCase();
  if (haystack.includes(query)) return 1;
  const tokens = fields(query);
  if (tokens.length === 0) return 0;
  return tokens.filter((token) => haystack.includes(token)).length / tokens.length;
}
