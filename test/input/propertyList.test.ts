import { parsePropertyList, PropertyListError } from '../../nodes/PayrollMail/input/propertyList';

function errorOf(text: string): PropertyListError {
	try {
		parsePropertyList(text);
	} catch (error) {
		if (error instanceof PropertyListError) return error;
		throw error;
	}
	throw new Error(`expected a PropertyListError, but "${text}" was accepted`);
}

describe('parsePropertyList', () => {
	it.each([
		['data', ['data']],
		['data, payslip', ['data', 'payslip']],
		['  data ,payslip  ', ['data', 'payslip']],
		['payslip_2026-11.v2', ['payslip_2026-11.v2']],
		['Lohnausweis, Beilage1', ['Lohnausweis', 'Beilage1']],
		['lohnbestätigung', ['lohnbestätigung']],
	])('reads %j as %j', (text, names) => {
		expect(parsePropertyList(text)).toEqual(names);
	});

	it.each(['', '   '])('reads %j as no attachments', (text) => {
		expect(parsePropertyList(text)).toEqual([]);
	});

	it.each([
		['data,,x', /an entry is empty/],
		['data; x', /"data; x" is not a property name/],
		['a b', /"a b" is not a property name/],
		['data, pay slip', /"pay slip" is not a property name/],
	])('rejects %j, quoting the list and saying what is wrong', (text, what) => {
		const error = errorOf(text);
		expect(error.name).toBe('PropertyListError');
		expect(error.message).toContain(`Attachments: "${text}"`);
		expect(error.message).toMatch(what);
	});
});
