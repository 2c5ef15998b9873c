/**
 * The Docker label on everything a topology creates on its servers: what `up` and `down`
 * mark and pick out, and what `status` and `events` read, so the two rooms agree on "ours".
 */
export const LABEL_TOPOLOGY = 'cldemo.topology';
