import { headerValue, readHeaderFields, type HeaderField } from '../read/receivedMail';
import { bounceAction, decodeXText, smtpReply, statusCode, withoutType, type Bounce } from './bounce';

/** What a delivery-status body (RFC 3464) says: the envelope ID and each recipient's fate. */
export interface DeliveryStatus {
	envelopeId: string;
	/** Recipients that failed or were delayed; delivered, relayed and expanded ones are left out. */
	bounces: Bounce[];
	/** How many recipient blocks the report has, whatever their action. */
	recipientBlocks: number;
}

/**
 * Reads the field blocks of a delivery-status body: one for the message, then one per recipient,
 * separated by blank lines. It reads any text holding them, also the text n8n's Email Trigger
 * makes of a report, where the blocks follow the human-readable part; lines that are not fields
 * are passed over.
 */
export function readDeliveryStatus(text: string): DeliveryStatus {
	const blocks = text
		.split(/\r?\n[ \t]*\r?\n/)
		.map((block) => readHeaderFields(block.replace(/^\s*\r?\n/, '')).headers)
		.filter((fields) => fields.length > 0);
	const field = (name: string) => blocks.map((fields) => headerValue(fields, name)).find(Boolean) ?? '';
	const reportingMta = withoutType(field('reporting-mta'));
	const recipientBlocks = blocks.filter((fields) => recipientOf(fields) && headerValue(fields, 'action'));
	const bounces = recipientBlocks.flatMap((fields): Bounce[] => {
		const action = bounceAction(headerValue(fields, 'action'));
		if (!action) return [];
		const diagnostic = smtpReply(withoutType(headerValue(fields, 'diagnostic-code')));
		return [
			{
				recipient: recipientOf(fields),
				action,
				status: statusCode(headerValue(fields, 'status')) || statusCode(diagnostic),
				diagnostic,
				remoteMta: withoutType(headerValue(fields, 'remote-mta')),
				reportingMta,
				format: 'dsn',
			},
		];
	});
	return { envelopeId: decodeXText(field('original-envelope-id')).trim(), bounces, recipientBlocks: recipientBlocks.length };
}

/** The recipient a block is about: Final-Recipient, else Original-Recipient, without its address type. */
function recipientOf(fields: HeaderField[]): string {
	return withoutType(headerValue(fields, 'final-recipient') || headerValue(fields, 'original-recipient')).replace(/^<|>$/g, '');
}
