import type { MailRequest } from '../../nodes/PayrollMail/compose/mailRequest';

/** An item's evaluated parameters as readMailRequest makes them: one employee, one PDF, plain text. */
export function mailRequest(overrides: Partial<MailRequest> = {}): MailRequest {
	return {
		itemIndex: 3,
		from: { name: 'Lohnbüro', address: 'lohn@example.com' },
		to: [{ name: 'Anna Muster', address: 'anna@example.com' }],
		cc: [],
		bcc: [],
		replyTo: [],
		subject: 'Payslip 2026-11',
		content: { headers: {}, body: { text: 'Please find your payslip attached.' }, needs8BitMime: false },
		attachmentProperties: ['data'],
		recipientMode: 'together',
		inlineImageProperties: [],
		readReceipt: false,
		autoSubmitted: true,
		deliveryReports: true,
		resendUnconfirmed: false,
		...overrides,
	};
}
