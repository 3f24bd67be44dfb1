/** A stable colour for a class name (the same hue wherever the class appears). */
export function labelColour(label: string, alpha = 1): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < label.length; i += 1) {
    hash ^= label.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  const hue = (hash >>> 0) % 360;
  return alpha === 1 ? `hsl(${hue} 70% 42%)` : `hsl(${hue} 70% 42% / ${alpha})`;
}
