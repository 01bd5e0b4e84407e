import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';

import { DataDeduplicationService } from 'n8n-core';
import type {
	DeduplicationItemTypes,
	DeduplicationScope,
	ICheckProcessedContextData,
	ICheckProcessedOptions,
	IDataDeduplicator,
	IDeduplicationOutput,
} from 'n8n-workflow';

/**
 * A stand-in (a mock) for the n8n CLI's DeduplicationHelper, which keeps its rows in n8n's
 * database: the CLI and its database driver are not installed for the tests (`npm run test:n8n`
 * runs the real one, in real n8n). It does what the real one does, as read from n8n 1.123 and
 * 2.41 and measured there:
 * - one row per workflow and node (scope `node`, keyed by the node's id) or per workflow, holding
 *   the MD5 hashes of the values' text, in the order first recorded;
 * - `checkProcessedAndRecord` reports each value new or processed and records the new ones, a
 *   value repeated in one call twice; `maxEntries` drops the oldest hashes first;
 * - `removeProcessed` removes the first copy of each hash;
 * - every call reads the row, waits for the database, and writes the row back: two calls at the
 *   same time both read the old row, and the later write loses the earlier one's values.
 * `snapshot()` is the database as a crash would leave it: everything written so far, and nothing
 * written after.
 */
export class DeduplicationStoreDouble implements IDataDeduplicator {
	/** Calls made, by method: what a run cost the store. */
	readonly calls = { checkProcessedAndRecord: 0, removeProcessed: 0 };

	private afterWrite: (() => void) | undefined;

	private failure: Error | undefined;

	constructor(private readonly rows = new Map<string, { mode: string; data: string[] }>()) {}

	/** Calls `then` once the next write is done, e.g. to crash right after it. */
	afterNextWrite(then: () => void): void {
		this.afterWrite = then;
	}

	/** From now on every call fails with `error`, as a database that is down or locked does. */
	failWrites(error: Error): void {
		this.failure = error;
	}

	snapshot(): DeduplicationStoreDouble {
		return new DeduplicationStoreDouble(new Map([...this.rows].map(([key, row]) => [key, { ...row, data: [...row.data] }])));
	}

	/** The hashes a node's row holds: how many entries the ledger keeps. */
	size(): number {
		return [...this.rows.values()].reduce((sum, row) => sum + row.data.length, 0);
	}

	async checkProcessedAndRecord(
		items: DeduplicationItemTypes[],
		scope: DeduplicationScope,
		contextData: ICheckProcessedContextData,
		options: ICheckProcessedOptions,
	): Promise<IDeduplicationOutput> {
		this.calls.checkProcessedAndRecord++;
		const key = rowKey(scope, contextData);
		const row = this.read(key, options);
		await delay(DATABASE_ROUND_TRIP_MS);
		const seen = new Set(row?.data ?? []);
		const data = [...(row?.data ?? [])];
		const output: IDeduplicationOutput = { new: [], processed: [] };
		for (const item of items) {
			const hash = hashOf(item);
			if (seen.has(hash)) output.processed.push(item);
			else {
				output.new.push(item);
				data.push(hash);
			}
		}
		if (options.maxEntries) data.splice(0, Math.max(0, data.length - options.maxEntries));
		if (!row && this.rows.has(key)) throw new Error('SQLITE_CONSTRAINT: UNIQUE constraint failed: processed_data.workflowId, processed_data.context');
		this.write(key, { mode: options.mode, data });
		return output;
	}

	async removeProcessed(
		items: DeduplicationItemTypes[],
		scope: DeduplicationScope,
		contextData: ICheckProcessedContextData,
		options: ICheckProcessedOptions,
	): Promise<void> {
		this.calls.removeProcessed++;
		const key = rowKey(scope, contextData);
		const row = this.read(key, options);
		await delay(DATABASE_ROUND_TRIP_MS);
		if (!row) return;
		const data = [...row.data];
		for (const item of items) {
			const index = data.indexOf(hashOf(item));
			if (index >= 0) data.splice(index, 1);
		}
		this.write(key, { mode: row.mode, data });
	}

	async clearAllProcessedItems(scope: DeduplicationScope, contextData: ICheckProcessedContextData): Promise<void> {
		this.rows.delete(rowKey(scope, contextData));
	}

	async getProcessedDataCount(scope: DeduplicationScope, contextData: ICheckProcessedContextData): Promise<number> {
		return this.rows.get(rowKey(scope, contextData))?.data.length ?? 0;
	}

	private write(key: string, row: { mode: string; data: string[] }): void {
		this.rows.set(key, row);
		const then = this.afterWrite;
		this.afterWrite = undefined;
		then?.();
	}

	private read(key: string, options: ICheckProcessedOptions): { mode: string; data: string[] } | undefined {
		if (this.failure) throw this.failure;
		const row = this.rows.get(key);
		if (row && row.mode !== options.mode) {
			throw new Error('Deduplication Failed: Deduplication data was originally saved with an incompatible setting');
		}
		return row && { ...row, data: [...row.data] };
	}
}

/** Between reading a row and writing it back, as a call to n8n's database takes (measured: 4 to 60 ms). */
const DATABASE_ROUND_TRIP_MS = 2;

function rowKey(scope: DeduplicationScope, { node, workflow }: ICheckProcessedContextData): string {
	return `${workflow.id}|${scope === 'node' ? `n:${node?.id}` : ''}`;
}

function hashOf(value: DeduplicationItemTypes): string {
	return createHash('md5').update(value.toString()).digest('base64');
}

/** n8n-core's deduplication service for this process, delegating to whichever store a test uses. */
class StoreSwitch implements IDataDeduplicator {
	store = new DeduplicationStoreDouble();

	checkProcessedAndRecord: IDataDeduplicator['checkProcessedAndRecord'] = async (...args) => this.store.checkProcessedAndRecord(...args);

	removeProcessed: IDataDeduplicator['removeProcessed'] = async (...args) => this.store.removeProcessed(...args);

	clearAllProcessedItems: IDataDeduplicator['clearAllProcessedItems'] = async (scope, contextData) => this.store.clearAllProcessedItems(scope, contextData);

	getProcessedDataCount: IDataDeduplicator['getProcessedDataCount'] = async (scope, contextData) => this.store.getProcessedDataCount(scope, contextData);
}

let storeSwitch: StoreSwitch | undefined;

/** Makes n8n-core's deduplication helpers use `store` from now on, in this test file's process. */
export async function useDeduplicationStore(store: DeduplicationStoreDouble): Promise<void> {
	if (!storeSwitch) {
		storeSwitch = new StoreSwitch();
		await DataDeduplicationService.init(storeSwitch);
	}
	storeSwitch.store = store;
}
