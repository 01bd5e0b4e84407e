import type { Mailbox } from './addresses';

export type RecipientMode = 'together' | 'separate';

/** The body parts of a mail, as the chosen email format asks for them. */
export interface MailBody {
	text?: string;
	html?: string;
}

/** What one input item asks to be mailed, with every parameter evaluated for that item. */
export interface MailRequest {
	itemIndex: number;
	from: Mailbox;
	to: Mailbox[];
	cc: Mailbox[];
	/** The archive copy: envelope only, never a header. */
	bcc: Mailbox[];
	replyTo: Mailbox[];
	subject: string;
	body: MailBody;
	/** Binary property names of the item to attach, in order. */
	attachmentProperties: string[];
	recipientMode: RecipientMode;
	/** When set, every message goes to this address alone. */
	testRecipient?: Mailbox;
}

/** One message to hand to the server; an item in `separate` mode makes several. */
export interface OutgoingMessage {
	request: MailRequest;
	/** Position among the messages of its item, from 0. */
	part: number;
	to: Mailbox[];
	cc: Mailbox[];
	/** Every address the server is asked to deliver to: To, Cc and the archive BCC. */
	envelopeTo: string[];
}
