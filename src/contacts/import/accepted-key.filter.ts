/** Bits per key: with 7 probes, about 1% false positives. */
const BITS_PER_KEY = 10;
const PROBES = 7;
const FIRST_CAPACITY = 1 << 20;

/**
 * Which job keys (see ImportBatchPlanner) this process has seen the job accept, as a Bloom filter:
 * "no" is certain, "maybe" (about 1% wrong) has to be asked of import_job_keys. Without it every
 * identifier of every row costs an index probe into a table that grows by several rows per imported
 * row; with it only true duplicates and the odd false positive do. The keys are already uniform
 * hashes, so their own bits pick the filter's positions. Grows by adding a segment twice the size
 * of the last, so memory follows the file (about 9 MB for a million rows) without knowing it ahead.
 */
export class AcceptedKeyFilter {
  private readonly segments: Array<{ bits: Uint32Array; size: number; capacity: number; count: number }> = [];

  constructor() {
    this.addSegment(FIRST_CAPACITY);
  }

  mightContain(key: string): boolean {
    const [h1, h2] = hashesOf(key);
    return this.segments.some((segment) => {
      for (let i = 0; i < PROBES; i++) {
        const bit = (h1 + i * h2) % segment.size;
        if ((segment.bits[bit >>> 5] & (1 << (bit & 31))) === 0) return false;
      }
      return true;
    });
  }

  add(key: string): void {
    let segment = this.segments[this.segments.length - 1];
    if (segment.count >= segment.capacity) segment = this.addSegment(segment.capacity * 2);
    const [h1, h2] = hashesOf(key);
    for (let i = 0; i < PROBES; i++) {
      const bit = (h1 + i * h2) % segment.size;
      segment.bits[bit >>> 5] |= 1 << (bit & 31);
    }
    segment.count++;
  }

  private addSegment(capacity: number) {
    const size = capacity * BITS_PER_KEY;
    const segment = { bits: new Uint32Array(Math.ceil(size / 32)), size, capacity, count: 0 };
    this.segments.push(segment);
    return segment;
  }
}

/** Two independent 32-bit numbers from a key of 32 hex digits (double hashing gives the rest). */
function hashesOf(key: string): [number, number] {
  return [parseInt(key.slice(0, 8), 16), (parseInt(key.slice(8, 16), 16) | 1) >>> 0];
}
