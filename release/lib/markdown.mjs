// What the release checks read from a README: its links and its TypeScript examples.

/** @returns {string[]} every link target of inline links, images and reference definitions */
export function markdownLinks(markdown) {
  const text = markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  const links = [];
  for (const m of text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push(m[1]);
  for (const m of text.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/gm)) links.push(m[1]);
  for (const m of text.matchAll(/<a\s[^>]*href="([^"]+)"/g)) links.push(m[1]);
  return links;
}

/** @returns {string[]} the bodies of the ```ts / ```typescript / ```js fenced blocks, in order */
export function codeExamples(markdown) {
  return [...markdown.matchAll(/^```(?:ts|typescript|js|javascript)\s*\n([\s\S]*?)^```/gm)].map((m) => m[1]);
}

/** @returns {string[]} the command lines of the ```sh / ```bash / ```shell blocks (comments dropped, `\` continuations joined) */
export function shellCommands(markdown) {
  const blocks = [...markdown.matchAll(/^```(?:sh|bash|shell|console)\s*\n([\s\S]*?)^```/gm)].map((m) => m[1]);
  return blocks
    .flatMap((block) => block.replace(/\\\n\s*/g, ' ').split('\n'))
    .map((line) => line.replace(/^\$\s+/, '').trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}
