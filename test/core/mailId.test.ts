import fc from 'fast-check';

import { newMailId, readMailId } from '../../nodes/PayrollMail/core/mailId';
import { smtpReply } from '../../nodes/PayrollMailBounces/report/bounce';

/** RFC 3461's xtext needs no encoding for printable ASCII other than "+" and "=". */
const XTEXT_AS_IS = /^[\x21-\x2a\x2c-\x3c\x3e-\x7e]+$/;

describe('the mail ID', () => {
	it('names the execution, the item and the message, fits an ENVID (≤ 100 characters, xtext as it is) and reads back', () => {
		fc.assert(
			fc.property(fc.string({ maxLength: 80 }), fc.nat(999_999), fc.nat(99), (execution, itemIndex, part) => {
				const id = newMailId({ execution, itemIndex, part });
				expect(id.length).toBeLessThanOrEqual(100);
				expect(id).toMatch(XTEXT_AS_IS);
				const run = execution.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 40);
				expect(readMailId(id)).toEqual({ execution: run || undefined, itemIndex, part });
			}),
		);
	});

	it('is new for every mail', () => {
		const ids = Array.from({ length: 1000 }, () => newMailId({ execution: '7', itemIndex: 0, part: 0 }));
		expect(new Set(ids).size).toBe(1000);
	});

	it.each(['', 'pm.1.2.3', 'pm.1.2.3.XYZ', '<pm.1.2.3.0123456789ab>', 'pm.1.-2.3.0123456789ab', 'xx.1.2.3.0123456789ab'])('reads %j as no mail ID', (text) => {
		expect(readMailId(text)).toBeUndefined();
	});
});

describe('a multi-line SMTP reply as one line', () => {
	it.each([
		['550-5.1.1 The account does not exist. Try 550-5.1.1 double-checking 550 5.1.1 the address.', '550 5.1.1 The account does not exist. Try double-checking the address.'],
		['550 5.1.1 User unknown', '550 5.1.1 User unknown'],
		['452-Mailbox\n  452 full', '452 Mailbox full'],
		['unknown user: "a@b.example"', 'unknown user: "a@b.example"'],
	])('%j', (reply, line) => {
		expect(smtpReply(reply)).toBe(line);
	});
});
