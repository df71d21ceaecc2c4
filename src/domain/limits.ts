/*
 * Every numeric bound of Partitura in one place: handlers, engine, stores and the README
 * read them here. Each refusal a bound causes names the field (or setting) and the bound.
 */

/** How long a deleted task's per-partition tombstone refuses late upserts (Redis): a day. */
export const TASK_TOMBSTONE_MS = 86_400_000;

/** How long one Redis command may take before it fails as UNAVAILABLE, by default (ms). */
export const REDIS_COMMAND_TIMEOUT_MS = 2_000;

/** The shortest command timeout a Redis store URL may ask for (commandTimeoutMs, ms). */
export const MIN_REDIS_COMMAND_TIMEOUT_MS = 100;

/** The longest command timeout a Redis store URL may ask for (commandTimeoutMs, ms). */
export const MAX_REDIS_COMMAND_TIMEOUT_MS = 60_000;

/** How often the health service pings the store (ms). */
export const HEALTH_PING_INTERVAL_MS = 1_000;

/** How long a health ping may take before readiness goes NOT_SERVING (ms). */
export const HEALTH_PING_TIMEOUT_MS = 1_000;

/** How many hungry pollers one return of credit to a stream wakes at most (the rest wait their turn). */
export const CREDIT_WAKE_FANOUT = 64;

/**
 * Forced looks (poll-bound timers) an engine makes per second at most, all pollers together:
 * with more than `maxPollMs / 1000 * this` pollers the poll bound stretches to `pollers / this`
 * seconds, so an idle stream on a task of 65,536 partitions costs 64 empty claims a second
 * (3 % of a core on SQLite), not 65,536. Wake-ups are unaffected; only a change another process
 * makes without announcing it (DynamoDB, a shared SQLite file) may wait that long.
 */
export const FORCED_LOOKS_PER_SECOND = 64;

/**
 * Bytes an Execute stream may have queued (written by the server, not yet taken by the
 * transport) before the engine stops giving it credit until it drains.
 */
export const STREAM_QUEUE_MAX_BYTES = 4 * 1024 * 1024;

/** The longest cron expression accepted (characters), checked before any parsing. */
export const MAX_CRON_LENGTH = 256;

/** The longest time-zone name accepted (characters); IANA's longest is about 32. */
export const MAX_TIMEZONE_LENGTH = 64;

/** How many known time zones the zone cache keeps (least recently used go first). */
export const ZONE_CACHE_LIMIT = 1024;

/** How many characters of a client's input an error message echoes (then an ellipsis). */
export const MAX_ECHO_LENGTH = 100;

/**
 * The longest status message sent to a client (characters). grpc-js percent-encodes it into
 * the trailer, up to 9 bytes a character, and stock clients refuse trailers over 8 KiB.
 */
export const MAX_STATUS_MESSAGE_LENGTH = 512;

/** The longest symbol or file name a reflection request may ask about (characters). */
export const MAX_REFLECTION_NAME_LENGTH = 512;

/** How many requests one reflection stream may send before it is ended. */
export const MAX_REFLECTION_REQUESTS = 1000;

/**
 * The longest deterministic jitter a schedule may carry (Schedule.jitter): an hour. It spreads
 * a herd (a million daily crons at 09:00) without moving any slot by more than that.
 */
export const MAX_JITTER_MS = 3_600_000;

/** The most runs a schedule's max_runs may ask for (Schedule.max_runs; 0 is no limit). */
export const MAX_RUNS = 100_000;

/**
 * The most cron slots one Schedule (or PutTask) call steps through to turn max_runs into end
 * bounds. Instances with the same cron, zone and first slot share one walk, so a batch of one
 * cron costs at most MAX_RUNS; a batch of many distinct crons or start times may pass this
 * and is refused, naming the instance, before anything is stored.
 */
export const MAX_CRON_STEPS_PER_CALL = 1_000_000;

/** How many cron steps the Schedule path takes before it lets other work run (a turn of the event loop). */
export const CRON_STEPS_PER_TURN = 10_000;

/** How many slots one PreviewSchedule call lists when it leaves `count` 0. */
export const DEFAULT_PREVIEW_COUNT = 10;

/** The most slots one PreviewSchedule call may ask for. */
export const MAX_PREVIEW_COUNT = 100;

/** The longest Duration protobuf allows: 10,000 years in seconds. */
export const MAX_DURATION_SECONDS = 315_576_000_000n;

/** Highest partition number PARTITURA_PARTITIONS may name (a task has at most 65,536 partitions). */
export const MAX_STATIC_PARTITION = 65_535;

/** Most replicas PARTITURA_REPLICAS may name for static-by-ordinal ownership. */
export const MAX_STATIC_REPLICAS = 1_024;

/** Most live members the ownership computation accepts from the store (more is a misconfiguration). */
export const MAX_MEMBERS = 1_024;

/**
 * Member records expired this long are deleted by any heartbeat that sees them, so a departed
 * id does not linger; every store prunes at the same age.
 */
export const MEMBER_PRUNE_AFTER_MS = 60_000;

/** Default of PARTITURA_MAX_STREAMS_PER_CONNECTION: concurrent HTTP/2 streams (calls) one connection may open. */
export const DEFAULT_MAX_STREAMS_PER_CONNECTION = 1_000;

/** Default of PARTITURA_MAX_EXECUTE_STREAMS: open Execute streams one server holds at once. */
export const DEFAULT_MAX_EXECUTE_STREAMS = 10_000;

/** Default of PARTITURA_TLS_REFRESH_MS: how often the certificate files are read again. */
export const DEFAULT_TLS_REFRESH_MS = 60_000;

/** The shortest plain bearer token a tokens file may hold (characters); short tokens are guessable. */
export const MIN_TOKEN_LENGTH = 16;

/** The most entries a tokens file may hold. */
export const MAX_TOKENS = 10_000;

/** Default of PARTITURA_OVERDUE_SAMPLE_MS: how often the overdue metrics are sampled. */
export const DEFAULT_OVERDUE_SAMPLE_MS = 5_000;

/** The most (task, partition) store queries one overdue sample makes; the next sample goes on from there. */
export const MAX_OVERDUE_QUERIES_PER_SAMPLE = 2_048;

/** Struct and ListValue nesting allowed in args and default_args (what stock parsers read). */
export const MAX_ARGS_DEPTH = 32;

/** The largest reply a unary call may send: a stock gRPC client's default receive limit. */
export const MAX_REPLY_BYTES = 4 * 1024 * 1024;

// --- requests, pages and streams ---------------------------------------------------------

/** The most items one Schedule, Unschedule, Ack or ExtendLeases call may carry. */
export const MAX_BATCH = 10_000;

/** The most store reads one ListInstances page makes (partitions walked, pages of each). */
export const MAX_READS_PER_PAGE = 256;

/** The most partitions a dynamic task may have. */
export const MAX_PARTITIONS = 65_536;

/** The largest encoded args (an instance's args or a task's default args), in bytes. */
export const MAX_ARGS_BYTES = 64 * 1024;

/**
 * The longest lease or grace we accept: a week. Engines arm timers with these durations and
 * Node's timers overflow past 2^31 ms (about 24.8 days).
 */
export const MAX_DURATION_MS = 7 * 86_400_000;

/** Page size when a request leaves it 0. */
export const DEFAULT_PAGE_SIZE = 100;

/** The largest page; bigger requests are served this many. */
export const MAX_PAGE_SIZE = 1_000;

/** max_in_flight 0 means this. */
export const DEFAULT_MAX_IN_FLIGHT = 100;

/** The most max_in_flight may be. */
export const MAX_MAX_IN_FLIGHT = 10_000;

/** The longest heartbeat extension: a day. Longer holds belong in the task's lease_duration. */
export const MAX_EXTEND_MS = 86_400_000;

/** The longest pause note (who paused an instance and why), in UTF-8 bytes. */
export const MAX_PAUSE_NOTE_BYTES = 500;

/**
 * The longest error text of a FAILURE ack that is kept (as the note of an instance its retry
 * policy paused or dead-lettered), in UTF-8 bytes; longer texts are cut, not refused, since a
 * worker's exception message should never make its ack fail.
 */
export const MAX_ACK_ERROR_BYTES = MAX_PAUSE_NOTE_BYTES;

/** Recent runs an instance keeps when its task does not say (Task.history_limit unset). */
export const DEFAULT_HISTORY_LIMIT = 10;

/** The most recent runs a task may keep per instance. */
export const MAX_HISTORY_LIMIT = 100;

/** A run's error text as its history keeps it, in UTF-8 bytes (longer ones are cut). */
export const MAX_RUN_ERROR_BYTES = 200;

/** A run's worker id as its history keeps it, in UTF-8 bytes (longer ones are cut). */
export const MAX_RUN_WORKER_BYTES = 64;

/** The most attempts a retry policy may allow one slot. */
export const MAX_RETRY_ATTEMPTS = 100;

/** The longest wait between two attempts of a slot: a day. */
export const MAX_RETRY_INTERVAL_MS = 86_400_000;

/** The largest backoff coefficient (beyond it the waits reach max_interval within a step). */
export const MAX_BACKOFF_COEFFICIENT = 100;

/** The longest task or instance name, in UTF-8 bytes. */
export const MAX_NAME_BYTES = 200;

/**
 * The largest request message the server reads (grpc-js max receive): a full Schedule batch
 * (10,000 instances) with modest args fits comfortably.
 */
export const MAX_RECEIVE_MESSAGE_BYTES = 16 * 1024 * 1024;

/**
 * The size an ExecuteResponse is cut at (its executions' args plus framing), well under a stock
 * client's 4 MiB receive limit.
 */
export const EXECUTE_MESSAGE_BUDGET_BYTES = 1 << 20;

/** The longest timer a duration setting may ask for: Node's setTimeout limit (24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The COUNT of one HSCAN of a Redis listing page: at most this many hash buckets a call, so
 * no call holds Redis for more than about a millisecond (250 records of ~100 bytes: ~0.3 ms).
 */
export const REDIS_LIST_SCAN_COUNT = 250;

/**
 * HSCAN calls one Redis listing page may make beyond the limit / REDIS_LIST_SCAN_COUNT it
 * needs: a sparse hash (many removed) answers few entries a call, and the page then ends short,
 * with a cursor, rather than walking on.
 */
export const REDIS_LIST_EXTRA_SCANS = 4;

/**
 * Instance writes in one DynamoDB upsert transaction: DynamoDB allows 100 actions a
 * transaction, and the first is the ConditionCheck on the task's generation.
 */
export const DYNAMODB_UPSERT_WRITES = 99;

/**
 * The estimated bytes of instance items one DynamoDB upsert transaction may carry: DynamoDB
 * refuses a transaction over 4 MB, and 99 instances of MAX_ARGS_BYTES args would pass that.
 */
export const DYNAMODB_UPSERT_BYTES = 3 * 1024 * 1024;

// --- web console (issue 15) -------------------------------------------------------------------

/** Tasks the console overview shows a partition grid for (the rest are on the tasks page). */
export const CONSOLE_OVERVIEW_TASKS = 20;

/** Partitions of one task the overview grid shows (each is one Store.overdue read). */
export const CONSOLE_GRID_PARTITIONS = 256;

/** Store.overdue reads the tasks page may spend counting one page of tasks. */
export const CONSOLE_COUNT_READS = 1_024;

/** Tasks one page of the console's tasks list shows. */
export const CONSOLE_TASKS_PAGE = 50;

/** Instances one page of the console's instances list shows (unfiltered: one ListInstances page). */
export const CONSOLE_INSTANCES_PAGE = 50;

/**
 * Instances a filtered listing (name prefix, contains, overdue) may read for one console page
 * before it ends the page with a cursor: a filter costs O(read), not O(matches), so it is bounded.
 */
export const CONSOLE_FILTER_SCAN = 5_000;

/**
 * Instances the console's "failing" filter may read for one page. Failing is a fact of the run
 * history, not of the record, so each record read that passes the other filters costs a history
 * read as well (one Store.getRuns of each ListInstances read's candidates; on DynamoDB one
 * GetItem each): a smaller budget than CONSOLE_FILTER_SCAN.
 */
export const CONSOLE_FAILING_SCAN = 1_000;

/**
 * Instance records the tasks page may read to count paused instances, over one page of tasks.
 * No store indexes paused instances (they leave the due index), so a paused count is a scan:
 * only tasks small enough to be read whole within what is left of this budget get one.
 */
export const CONSOLE_PAUSED_SCAN = 2_000;

/**
 * Instances one console pause or resume may pick: what one instances page can show. A filtered
 * page adds every match of its last ListInstances read, so it may pass CONSOLE_INSTANCES_PAGE
 * by up to one read (MAX_PAGE_SIZE); picks beyond this are refused naming the field.
 */
export const CONSOLE_MAX_PICKS = CONSOLE_INSTANCES_PAGE + MAX_PAGE_SIZE;

/** Slots the instance page lists ahead. */
export const CONSOLE_PREVIEW_SLOTS = 10;

/** How often the overview's live figures go out over server-sent events. */
export const CONSOLE_LIVE_MS = 2_000;

/** How long computed overview figures are shared by every viewer before they are read again. */
export const CONSOLE_FIGURES_TTL_MS = 1_000;

/**
 * Bytes of a console form body (login, enable/disable, pause/resume); larger bodies are
 * refused. A pause of one page of picks (CONSOLE_INSTANCES_PAGE) at the longest names and keys,
 * percent-encoded, with a full note, fits.
 */
export const CONSOLE_MAX_BODY_BYTES = 64 * 1024;

/** Server-sent event streams one console serves at once. */
export const CONSOLE_MAX_LIVE_STREAMS = 100;

/** The longest TriggerInstances or BackfillInstances request id, in bytes of UTF-8. */
export const MAX_REQUEST_ID_BYTES = 64;

/** The most slots one BackfillInstances call may run per instance. */
export const MAX_BACKFILL_SLOTS = 1_000;

/** The most names one BackfillInstances call may name (each is read to count its slots). */
export const MAX_BACKFILL_NAMES = 1_000;
