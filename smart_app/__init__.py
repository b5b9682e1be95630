"""The SMART on FHIR app: a patient's BCR::ABL1 course as a chart, launched from the EHR or from a card.

The launch (SMART App Launch 2.0, authorization code with PKCE) runs on the server with Authlib; the
page is server-rendered HTML and SVG from the same mapping and algorithm as the CDS service.
"""
