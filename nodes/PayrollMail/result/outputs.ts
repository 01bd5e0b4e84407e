import type { IBinaryKeyData, INodeExecutionData } from 'n8n-workflow';

import type { MailResult } from './mailResult';

/** Output indexes, as the node's `outputNames` show them. */
export const SENT = 0;
export const FAILED = 1;

/**
 * Every input item on exactly one output, once, in input order: its own json plus `mail`,
 * its own binary, and a pairedItem back to it.
 */
export function routeItems(
	items: INodeExecutionData[],
	results: MailResult[],
	addedBinary: Array<IBinaryKeyData | undefined> = [],
): INodeExecutionData[][] {
	const outputs: INodeExecutionData[][] = [[], []];
	items.forEach((item, itemIndex) => {
		const mail = results[itemIndex];
		const binary = { ...item.binary, ...addedBinary[itemIndex] };
		outputs[mail.status === 'failed' ? FAILED : SENT].push({
			json: { ...item.json, mail },
			...(Object.keys(binary).length ? { binary } : {}),
			pairedItem: { item: itemIndex },
		});
	});
	return outputs;
}
