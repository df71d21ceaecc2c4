/** Highest partition number PARTITURA_PARTITIONS may name (a task has at most 65,536 partitions). */
export const MAX_STATIC_PARTITION = 65_535;

/** Most replicas PARTITURA_REPLICAS may name for static-by-ordinal ownership. */
export const MAX_STATIC_REPLICAS = 1_024;

/** Most live members the ownership computation accepts from the store (more is a misconfiguration). */
export const MAX_MEMBERS = 1_024;
