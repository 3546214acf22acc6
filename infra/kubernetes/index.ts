export * from "./target";
export * from "./render";
