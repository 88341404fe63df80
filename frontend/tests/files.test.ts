import { describe, expect, it } from "vitest";
import { composeHostGuess, looksLikeCompose } from "../src/files";

describe("importing a Compose file", () => {
  it("tells a Compose file from a design as the site does", () => {
    expect(looksLikeCompose("services:\n  web: {image: nginx}\n")).toBe(true);
    expect(looksLikeCompose("apiVersion: mvlab/v1\nkind: Design\nservices: x\n")).toBe(false);
    expect(looksLikeCompose("hosts: {}\n")).toBe(false);
  });

  it("guesses the host from an mvlab export's header before the file name", () => {
    const exported = "# mvlab design lab, host gw: docker compose -p mvlab-lab-gw -f THIS_FILE up -d\nservices: {}\n";
    expect(composeHostGuess(exported, "lab-gw.compose.yaml")).toBe("gw");
  });

  it("else makes the file name a usable host name", () => {
    expect(composeHostGuess("services: {}\n", "Rack 7.compose.yml")).toBe("rack-7");
    expect(composeHostGuess("services: {}\n", "docker-compose.yml")).toBe("docker-compose");
    expect(composeHostGuess("services: {}\n", "__.yml")).toBe("host1");
    expect(composeHostGuess("services: {}\n", `${"a".repeat(40)}.yml`)).toHaveLength(32);
  });
});
