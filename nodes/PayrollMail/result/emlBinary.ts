import type { IBinaryKeyData, IExecuteFunctions } from 'n8n-workflow';

import type { ItemOutcome } from './mailResult';

/**
 * Include EML: each sent message as binary data on its item, `eml` for the first and `eml_2`,
 * `eml_3` … for the further messages of an item in one-mail-per-address mode.
 */
export async function emlBinaries(
	context: IExecuteFunctions,
	outcomes: ItemOutcome[],
): Promise<Array<IBinaryKeyData | undefined>> {
	return Promise.all(
		outcomes.map(async (outcome) => {
			if (!('messages' in outcome)) return undefined;
			const binary: IBinaryKeyData = {};
			for (const [index, message] of outcome.messages.entries()) {
				if (!message.eml) continue;
				const name = index === 0 ? 'eml' : `eml_${index + 1}`;
				binary[name] = await context.helpers.prepareBinaryData(message.eml, `mail-${index + 1}.eml`, 'message/rfc822');
			}
			return Object.keys(binary).length ? binary : undefined;
		}),
	);
}
