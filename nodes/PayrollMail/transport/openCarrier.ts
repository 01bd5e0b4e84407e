import { resolve } from 'node:path';

import type { MailCarrier } from './mailCarrier';
import { pickupCarrier } from './pickup/pickupCarrier';
import { checkPickupDirectory } from './pickup/pickupDirectory';
import type { SmtpSettings } from './smtp/smtpSettings';
import { openSmtpTransport, type TransportExtras, type TransportTuning } from './smtp/smtpTransport';

/** Where the mails go, as the node's parameters and credential say. */
export type CarrierChoice =
	| { kind: 'pickupDirectory'; directory: string }
	| ({ kind: 'smtp'; settings: SmtpSettings; tuning: TransportTuning } & TransportExtras);

/**
 * Opens the carrier for a run. The pickup folder is checked first (throws PickupDirectoryError);
 * the SMTP transport connects lazily, with the first mail.
 */
export async function openCarrier(choice: CarrierChoice): Promise<MailCarrier> {
	if (choice.kind === 'pickupDirectory') {
		await checkPickupDirectory(choice.directory);
		return pickupCarrier(choice.directory);
	}
	const { settings, tuning, ...extras } = choice;
	return openSmtpTransport(settings, tuning, extras);
}

/**
 * The account a carrier sends from, as the account lock and the journal name it: the SMTP login at
 * its server (a provider's limits are the account's), or the pickup folder.
 */
export function carrierAccount(choice: CarrierChoice): string {
	if (choice.kind === 'pickupDirectory') return `pickup:${resolve(choice.directory)}`;
	const { user, host, port } = choice.settings;
	return `smtp:${user ? `${user}@` : ''}${host.toLowerCase()}:${port}`;
}
