import fc from 'fast-check';

import { AddressError, parseMailboxes, parseSingleMailbox, withoutRepeats } from '../../nodes/PayrollMail/compose/addresses';
import { ACCEPTED, quotedInMessage, REFUSED } from '../support/addressCorpus';
import { generatedField } from '../support/addressArbitraries';

/** The error `parse` throws, so a test can look at every part of it. */
function errorOf(parse: () => unknown): AddressError {
	try {
		parse();
	} catch (error) {
		if (error instanceof AddressError) return error;
		throw error;
	}
	throw new Error('expected an AddressError, but the text was accepted');
}

describe('parseMailboxes: the corpus of fields as exports and expressions produce them', () => {
	it('holds enough cases of each kind to mean something', () => {
		expect(ACCEPTED.length).toBeGreaterThanOrEqual(30);
		expect(REFUSED.length).toBeGreaterThanOrEqual(50);
	});

	it.each(ACCEPTED.map((field) => [JSON.stringify(field.text), field] as const))('reads %s', (_label, field) => {
		expect(parseMailboxes(field.text, 'To Email')).toEqual(field.mailboxes);
	});

	it.each(REFUSED.map((field) => [JSON.stringify(field.text), field] as const))(
		'refuses %s, quoting it and saying what is wrong',
		(_label, field) => {
			const error = errorOf(() => parseMailboxes(field.text, 'CC Email'));
			expect(error.field).toBe('CC Email');
			expect(error.message).toMatch(/^CC Email/);
			expect(error.message).toContain(quotedInMessage(field));
			expect(error.message).toMatch(field.why);
		},
	);
});

describe('parseSingleMailbox', () => {
	it('reads the one mailbox of a field', () => {
		expect(parseSingleMailbox('Lohnbüro <lohn@example.ch>', 'From')).toEqual({ name: 'Lohnbüro', address: 'lohn@example.ch' });
	});

	it('rejects an empty field, saying so', () => {
		const error = errorOf(() => parseSingleMailbox('  ', 'From'));
		expect(error.field).toBe('From');
		expect(error.message).toMatch(/From.*empty/);
	});

	it.each(['lohn@example.ch, hr@example.ch', 'lohn@example.ch; hr@example.ch'])('rejects two addresses in %j, saying how many', (text) => {
		const error = errorOf(() => parseSingleMailbox(text, 'From'));
		expect(error.field).toBe('From');
		expect(error.message).toMatch(/From: give one address, not 2/);
	});

	it('rejects a group where the sender goes, rather than send from the group members', () => {
		expect(errorOf(() => parseSingleMailbox('Payroll: lohn@example.ch;', 'From')).message).toMatch(/colon/);
	});
});

describe('withoutRepeats', () => {
	it('keeps each address once, at its first place, with the name it had there', () => {
		const list = parseMailboxes('Anna <anna@corp.example>, bob@corp.example, anna@corp.example, ANNA@Corp.example', 'To');
		expect(withoutRepeats(list)).toEqual([
			{ name: 'Anna', address: 'anna@corp.example' },
			{ name: '', address: 'bob@corp.example' },
			{ name: '', address: 'ANNA@corp.example' },
		]);
	});
});

describe('parseMailboxes over generated fields (property-based)', () => {
	it('reads a field as the addresses it was written from, or refuses it: never another list', () => {
		let refused = 0;
		let read = 0;
		fc.assert(
			fc.property(generatedField(), ({ text, intended }) => {
				let mailboxes;
				try {
					mailboxes = parseMailboxes(text, 'To Email');
				} catch (error) {
					expect(error).toBeInstanceOf(AddressError);
					refused++;
					return;
				}
				read++;
				expect(mailboxes.map((mailbox) => mailbox.address)).toEqual(intended.map((mailbox) => mailbox.address));
			}),
			{ numRuns: 3000 },
		);
		// Both ways out were taken often enough for the property to mean something.
		expect(Math.min(refused, read)).toBeGreaterThan(300);
	});

	it('reads a well-formed field exactly, names included', () => {
		fc.assert(
			fc.property(generatedField({ wellFormed: true }), ({ text, intended }) => {
				expect(parseMailboxes(text, 'To Email')).toEqual(intended);
			}),
			{ numRuns: 2000 },
		);
	});
});
