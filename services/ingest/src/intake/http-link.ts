// A link is kept only when it is http(s): the console and the pages put it where people click, and a
// `javascript:` or `data:` URL there runs in the console's origin.
const HTTP_LINK = /^https?:\/\//i;

export const isHttpLink = (href: string): boolean => HTTP_LINK.test(href);
