import {
	AddressError,
	formatMailbox,
	parseMailboxes,
	parseSingleMailbox,
} from '../../nodes/PayrollMail/compose/addresses';

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

describe('parseMailboxes', () => {
	it('reads a bare address', () => {
		expect(parseMailboxes('anna@example.com', 'To')).toEqual([{ name: '', address: 'anna@example.com' }]);
	});

	it('reads display names, quoted ones with a comma included', () => {
		expect(parseMailboxes('Anna Muster <anna@example.com>, "Muster, Beat" <beat@example.com>', 'To')).toEqual([
			{ name: 'Anna Muster', address: 'anna@example.com' },
			{ name: 'Muster, Beat', address: 'beat@example.com' },
		]);
	});

	it('reads a comma-separated list in the order written, ignoring spaces around the commas', () => {
		expect(parseMailboxes('anna@example.com ,  beat@example.com,carl@example.com', 'To')).toEqual([
			{ name: '', address: 'anna@example.com' },
			{ name: '', address: 'beat@example.com' },
			{ name: '', address: 'carl@example.com' },
		]);
	});

	it('flattens a group into its members', () => {
		expect(parseMailboxes('Payroll: anna@example.com, Beat <beat@example.com>;, carl@example.com', 'Cc')).toEqual([
			{ name: '', address: 'anna@example.com' },
			{ name: 'Beat', address: 'beat@example.com' },
			{ name: '', address: 'carl@example.com' },
		]);
	});

	it.each(['', '   '])('reads empty text %j as no address at all', (text) => {
		expect(parseMailboxes(text, 'Cc')).toEqual([]);
	});

	it.each([
		['jürg.müller@example.ch', { name: '', address: 'jürg.müller@example.ch' }],
		['anna@bücher.example', { name: '', address: 'anna@bücher.example' }],
		['Jürg Müller <jürg.müller@example.ch>', { name: 'Jürg Müller', address: 'jürg.müller@example.ch' }],
	])('accepts the non-ASCII address in %s', (text, mailbox) => {
		expect(parseMailboxes(text, 'To')).toEqual([mailbox]);
	});

	it.each([
		['no address', 'no address'],
		['anna@', 'anna@'],
		['anna@example', 'anna@example'],
		['a b@example.com', 'a b@example.com'],
		['anna@@example.com', 'anna@@example.com'],
		['beat@example.com, anna@', 'anna@'],
	])('rejects %j, naming the field and the text %j', (text, offending) => {
		const error = errorOf(() => parseMailboxes(text, 'To'));
		expect(error.name).toBe('AddressError');
		expect(error.field).toBe('To');
		expect(error.message).toContain('To');
		expect(error.message).toContain(`"${offending}"`);
	});

	it('rejects two addresses with the comma between them forgotten, rather than mail only one', () => {
		const error = errorOf(() => parseMailboxes('anna@example.com beat@example.com', 'To'));
		expect(error.field).toBe('To');
		expect(error.message).toContain('beat@example.com');
	});

	it('names the field it was given, whatever it is', () => {
		expect(errorOf(() => parseMailboxes('anna@', 'Archive Copy (BCC)')).field).toBe('Archive Copy (BCC)');
	});
});

describe('parseSingleMailbox', () => {
	it('reads the one mailbox of a field', () => {
		expect(parseSingleMailbox('Lohnbüro <lohn@example.ch>', 'From')).toEqual({
			name: 'Lohnbüro',
			address: 'lohn@example.ch',
		});
	});

	it('rejects an empty field, saying so', () => {
		const error = errorOf(() => parseSingleMailbox('  ', 'From'));
		expect(error.field).toBe('From');
		expect(error.message).toMatch(/From.*empty/);
	});

	it('rejects two addresses, saying how many it found', () => {
		const error = errorOf(() => parseSingleMailbox('lohn@example.ch, hr@example.ch', 'From'));
		expect(error.field).toBe('From');
		expect(error.message).toMatch(/From.*one address.*2/);
	});

	it('rejects an invalid address like the list does', () => {
		const error = errorOf(() => parseSingleMailbox('Lohnbüro <lohn@example>', 'From'));
		expect(error.field).toBe('From');
		expect(error.message).toContain('"lohn@example"');
	});
});

describe('formatMailbox', () => {
	it('writes "Name <address>", or the bare address when there is no name', () => {
		expect(formatMailbox({ name: 'Anna Muster', address: 'anna@example.com' })).toBe('Anna Muster <anna@example.com>');
		expect(formatMailbox({ name: '', address: 'anna@example.com' })).toBe('anna@example.com');
	});
});
