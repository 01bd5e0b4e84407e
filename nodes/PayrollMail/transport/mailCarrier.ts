import type Mail from 'nodemailer/lib/mailer';

import type { MailError } from '../core/mailError';

/** Who the server is asked to deliver to: bare addresses, already checked. */
export interface WireEnvelope {
	from: string;
	to: string[];
	/** The body is 8-bit: only a server that offers 8BITMIME may take it. */
	use8BitMime?: boolean;
	/** Ask for delivery status notifications, where the server offers them (RFC 3461). */
	deliveryReports?: DeliveryReports;
}

/** What a mail asks of the server's delivery reports. */
export interface DeliveryReports {
	/** The mail's ID, sent as ENVID and returned in every report. */
	envelopeId: string;
	/** Recipients that must get no report (the archive copy); the others report failure and delay. */
	quietRecipients: string[];
}

/** A message as a carrier takes it: nodemailer's options, or the finished bytes as `raw`. */
export type WireMail = Omit<Mail.Options, 'envelope'> & { envelope: WireEnvelope; messageId: string };

/** A recipient the server refused; a transient refusal (4xx) may be tried again. */
export interface RecipientRefusal {
	recipient: string;
	response: string;
	responseCode?: number;
	transient: boolean;
}

/** What a carrier did with a message it took. */
export interface SentInfo {
	messageId: string;
	accepted: string[];
	/** Recipients the server refused while taking the message for the others. */
	refusals: RecipientRefusal[];
	response: string;
}

/** A message not delivered, with a message a clerk can act on; `transient` ones may succeed on a later try. */
/** What a provider's reply means for the rest of the run: stop sending, or use fewer connections. */
export type RunEffect = 'stopRun' | 'fewerConnections';

export class DeliveryFailure extends Error {
	constructor(
		readonly detail: MailError,
		readonly transient: boolean,
		/** For a refused envelope: each refused recipient. */
		readonly refusals: RecipientRefusal[] = [],
		/** What the reply means for the mails still to go. */
		readonly effect?: RunEffect,
	) {
		super(detail.message);
		this.name = 'DeliveryFailure';
	}
}

/**
 * Whatever carries a message away: the SMTP transport or the pickup folder. `send` rejects only
 * with a DeliveryFailure.
 */
export interface MailCarrier {
	send(mail: WireMail, signal?: AbortSignal): Promise<SentInfo>;
	/**
	 * Resolves once a connection has got past the server's greeting, TLS and login and offers a
	 * mail; absent where there is nothing to get past.
	 */
	readonly sessionOpened?: Promise<void>;
	/** Lets go of what stays open between two messages (connections). */
	close(): void;
}
