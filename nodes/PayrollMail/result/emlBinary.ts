import type { IBinaryKeyData, IExecuteFunctions } from 'n8n-workflow';

import type { ItemOutcome } from './mailResult';

/** Each item's EML copies, and why they could not be stored where n8n failed to store them. */
export interface EmlCopies {
	binaries: Array<IBinaryKeyData | undefined>;
	failures: Array<string | undefined>;
}

/**
 * Include EML: each sent message as binary data on its item, `eml` for the first and `eml_2`,
 * `eml_3` … for the further messages of an item in one-mail-per-address mode. The mails have
 * gone out by now, so a copy n8n cannot store (a full disk) is reported on its item, not thrown.
 */
export async function emlBinaries(context: IExecuteFunctions, outcomes: ItemOutcome[]): Promise<EmlCopies> {
	const copies = await Promise.all(
		outcomes.map(async (outcome): Promise<{ binary?: IBinaryKeyData; failure?: string }> => {
			if (!('messages' in outcome)) return {};
			const binary: IBinaryKeyData = {};
			try {
				for (const [index, message] of outcome.messages.entries()) {
					if (!message.eml) continue;
					const name = index === 0 ? 'eml' : `eml_${index + 1}`;
					binary[name] = await context.helpers.prepareBinaryData(message.eml, `mail-${index + 1}.eml`, 'message/rfc822');
				}
			} catch (error) {
				const reason = error instanceof Error ? error.message : String(error);
				return { failure: `The mail was sent, but its copy for Include EML could not be stored: ${reason}` };
			}
			return Object.keys(binary).length ? { binary } : {};
		}),
	);
	return { binaries: copies.map((copy) => copy.binary), failures: copies.map((copy) => copy.failure) };
}
