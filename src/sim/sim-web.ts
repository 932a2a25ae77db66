import type { Fetcher } from '../tick/fetch-sources.js';

/**
 * The simulated web the Researcher's sources are fetched from: every url answers at once with a
 * page of plain text that is a function of the url only (the mock answers quote from it).
 */
export const simFetcher: Fetcher = async (url) => {
  const topic =
    url
      .replace(/^https?:\/\/[^/]+\//, '')
      .replace(/[-_/]+/g, ' ')
      .trim() || 'the subject';
  const paragraphs = [
    `${topic}: an overview. This page collects known results about ${topic} and their proofs.`,
    `The first result states that ${topic} admits exactly one structure up to isomorphism of order two.`,
    `A second result relates ${topic} to the seven lines of the Fano plane and to its automorphism group of order 168.`,
    `Open questions about ${topic} remain: whether the construction generalises to higher orders is not known.`,
  ];
  const text = paragraphs.join('\n\n');
  return { ok: true, finalUrl: url, contentType: 'text/plain', status: 200, bytes: Buffer.byteLength(text), text };
};
