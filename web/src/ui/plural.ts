/** "1 link", "2 links": a count and its noun, in the plural (`nouns`, default the noun
 * with an s) unless the count is one. */
export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : nouns}`;
}
