/** "1 mail", "23 mails": a number with its noun. */
export function count(amount: number, singular: string, plural = `${singular}s`): string {
	return `${amount} ${amount === 1 ? singular : plural}`;
}
