/** swagger-parser's spec validator is a plain CommonJS function without typings; it throws on the first failure. */
declare module '@apidevtools/swagger-parser/lib/validators/spec.js' {
  const validateSpec: (api: unknown) => void;
  export default validateSpec;
}
