import { randomInt } from 'node:crypto';

const ADJECTIVES = [
  'amber', 'bold', 'brisk', 'calm', 'clever', 'crisp', 'daring', 'eager', 'fierce', 'gentle', 'glad',
  'grand', 'hardy', 'keen', 'lively', 'lucid', 'merry', 'nimble', 'proud', 'quiet', 'rapid', 'sharp',
  'silent', 'steady', 'swift', 'tidy', 'vivid', 'warm', 'wise', 'zesty',
];
const NOUNS = [
  'badger', 'basalt', 'cedar', 'comet', 'crane', 'delta', 'ember', 'falcon', 'fjord', 'granite', 'harbor',
  'heron', 'lynx', 'maple', 'meadow', 'otter', 'pebble', 'quartz', 'raven', 'ridge', 'river', 'slate',
  'sparrow', 'summit', 'thistle', 'tundra', 'willow', 'wren', 'yarrow', 'zephyr',
];

/** A readable run name such as `swift-heron-417`, as MLflow gives runs created without a name. */
export function randomRunName(): string {
  return `${ADJECTIVES[randomInt(ADJECTIVES.length)]}-${NOUNS[randomInt(NOUNS.length)]}-${randomInt(1000)}`;
}
