/**
 * A mail whose content cannot be written as the clerk set it up (a header, a character the code
 * page lacks, an 8-bit body without a part to carry it): that item fails at stage `validation`,
 * with this message.
 */
export class ContentError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'ContentError';
	}
}
