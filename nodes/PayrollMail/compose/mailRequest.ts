import type { Mailbox } from './addresses';
import type { MailContent } from './mailContent';

export type RecipientMode = 'together' | 'separate';

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
	/** Subject and body encoded as the mail will carry them. */
	content: MailContent;
	/** Binary property names of the item to attach, in order. */
	attachmentProperties: string[];
	recipientMode: RecipientMode;
	/** When set, every message goes to this address alone. */
	testRecipient?: Mailbox;
	/** Binary property names embedded as `cid:<property name>`, for an HTML body's images. */
	inlineImageProperties: string[];
	/** Ask for a read receipt (Disposition-Notification-To) to the Reply-To, else the sender. */
	readReceipt: boolean;
	/** Mark the mail `Auto-Submitted: auto-generated`, so out-of-office replies stay away. */
	autoSubmitted: boolean;
	/** Ask for delivery status notifications and carry the mail's ID, so that bounces can be matched. */
	deliveryReports: boolean;
	/** Every PDF attachment is encrypted with it before sending. */
	pdfPassword?: string;
	/** The clerk's key for "already sent" (skipAlreadySent); a default is made when empty. */
	idempotencyKey?: string;
	/** Skip Already Sent: a mail claimed earlier and never confirmed is sent again (the clerk checked it). */
	resendUnconfirmed: boolean;
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
	/** Those of them that are only the archive copy, not the employee's own To or Cc. */
	archiveTo: string[];
}
